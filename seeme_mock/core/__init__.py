"""The engine: plain Python with no I/O. Protocol, SMS parts, status texts, gateway state."""
