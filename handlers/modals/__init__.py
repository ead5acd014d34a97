"""Opening the modals that more than one surface opens: a slash command, a Home tab shortcut,
a button. Each opener checks who may, builds the modal with `handlers.blocks` and opens it."""
