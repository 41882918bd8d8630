"""One module per dialog; the form dialogs share desktop.ui.dialogs.base.FormDialog."""
