"""What goes wrong with a data-science value on the wire (``datawire``)."""


class Unserializable(TypeError):
    """A value of a type that cannot cross (class instances, subclasses, generators...)."""


class Malformed(ValueError):
    """Encoded text that is not a value this module writes."""
