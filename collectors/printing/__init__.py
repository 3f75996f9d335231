"""Printing support shared by the printer checks: the IPP codec and the normalized queue model."""
