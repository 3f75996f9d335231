"""Windows data sources: thin PowerShell/WMI fetchers; parsers tested on recorded outputs."""
