"""TextGrad-compatible path ``engine_experimental``: the litellm engine lives here too."""
