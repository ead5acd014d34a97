"""The cast list: cast numbers, characters, performers and their Slack accounts."""
