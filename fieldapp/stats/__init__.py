"""Reports for managers: visit rate (走访率), overdue lists, exports."""
