"""Talking to the operating system: atomic writes and zip limits, OS errors in Chinese, helper
processes, the data files shipped with the package."""
