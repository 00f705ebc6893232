"""Channel adapters (Telegram, SMS, email, social mentions), one module per channel."""
