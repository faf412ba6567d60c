"""The conversation's LiveKit room, served by the mock itself (see docs: Building the frontend).

signalling (``/rtc``), peers (aiortc, loopback ICE), the registry of rooms, and the character: its
tracks and its ``equos_event`` protocol. It calls the domain; the domain never imports it.
"""
