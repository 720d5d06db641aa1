"""Measuring answers on real documents with human-written questions (`longwit bench answers`)."""
