"""The segmentation service: audience definitions, and (as the engine lands) keeping memberships up to date."""
