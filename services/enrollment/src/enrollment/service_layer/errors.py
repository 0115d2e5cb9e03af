"""What a use case refuses: an HTTP status, a message in French for the user, and the field at fault."""


class Refused(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field
