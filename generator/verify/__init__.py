"""Reading outputs back to check what they promise (`recueil preflight`)."""
