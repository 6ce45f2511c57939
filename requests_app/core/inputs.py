"""What services make of the text a form gave them: trimmed. Ids are the forms' to parse: a
service is given the rows themselves."""


def text(value):
    return (value or "").strip()
