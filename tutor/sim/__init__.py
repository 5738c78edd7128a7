"""The simulated SMTP submission server: teaching profiles, accounts, deterministic challenges, notes."""

from tutor.sim.accounts import Accounts
from tutor.sim.output import Output, TranscriptLine
from tutor.sim.profiles import DEFAULT_PROFILE, PROFILES, Profile
from tutor.sim.server import SimServer, get_profile
from tutor.sim.sink import MaildirSink, Message, Sink

__all__ = ["Accounts", "DEFAULT_PROFILE", "MaildirSink", "Message", "Output", "PROFILES", "Profile", "SimServer",
           "Sink", "TranscriptLine", "get_profile"]
