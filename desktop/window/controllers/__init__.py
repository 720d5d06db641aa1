"""Controllers that run engine work on background threads and report to the window's widgets."""
