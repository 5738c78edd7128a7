"""The tracer: transcripts recorded by the tutor, importers for captured exchanges, and the annotator.

Flow: source (file or stdin) -> importers.detect picks a format -> an importer (or pcap: pcapfile, netpkt,
tcpflow) yields records -> pipeline feeds each session to an observer (the protocol core in observer mode)
-> annotate + findings + crack -> render (plain, md, json; colour and HTML live in tutor.display.trace_render).
"""
