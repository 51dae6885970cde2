"""Getting xlpkg onto desks: Windows/Linux wheels for offline installs and extensions."""
