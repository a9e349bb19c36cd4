"""Crawl sources: the demo shop, any schema.org Product site, and a catalog folder."""
