"""Developer tools run from the checkout (not shipped with the repro package)."""
