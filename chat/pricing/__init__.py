"""What answers cost: the operator's price table (chat.models.ModelPrice) applied to usage."""
