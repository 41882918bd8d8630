"""The department (back office) window: sign-in (login.py), the main window with the inbox of transfer
batches and the cases in review (window.py), and the review-step and decision forms (forms.py). Every
action goes through desktop.core.office.OfficeServices on a background thread (desktop.ui.tasks)."""
