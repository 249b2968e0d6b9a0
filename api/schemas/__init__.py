"""Request and response shapes, one module per resource, apart from the table models."""
