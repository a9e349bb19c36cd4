"""Cleaning: vocabulary filters, image checks and de-duplication."""
