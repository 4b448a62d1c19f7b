"""The only code in the core that writes. Import services from their modules."""
