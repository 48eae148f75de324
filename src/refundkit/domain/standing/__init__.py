"""Standing of the people over time (issue 19): sellers' defect rate, buyers' signals."""
