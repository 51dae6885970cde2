"""LibreOffice front end: the Calc add-in functions, the 绩效管理 menu and toolbar, and the
extension (.oxt) builder. Only ``oxt/xlpkg_component.py`` (run inside LibreOffice) imports uno;
the adapters here work on the UNO objects they are handed."""
