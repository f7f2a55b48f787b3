"""The extraction service: turns conversations into facts and decides how they change stored memories."""
