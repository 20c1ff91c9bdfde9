"""Small helpers kept at TextGrad's ``utils`` path (images)."""
