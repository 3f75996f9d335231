"""Inspection reports (巡检报告) and fault analysis (故障分析): model, rendering, schedule."""
