"""The story layer: read, check and compile story folders."""

from .diagnostics import Pos, Problem, StoryError
from .loader import CheckResult, check_story, load_story
from .model import Choice, Ending, Event, Meter, Node, Story

__all__ = [
    "CheckResult",
    "Choice",
    "Ending",
    "Event",
    "Meter",
    "Node",
    "Pos",
    "Problem",
    "Story",
    "StoryError",
    "check_story",
    "load_story",
]
