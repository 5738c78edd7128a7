"""The tracer: transcripts recorded by the tutor, importers for captured exchanges, and the annotator.

Flow: source (a file or stdin; gzip / xz / bzip2 read through compressed) -> importers.detect picks a format
-> an importer (or pcap: pcapfile, netpkt, ipfrag, tcpflow; sniff finds SMTP by content; with --keylog,
tls_flow reads TLS through tls_records, tls_keys and tls_decrypt, `cryptography` from the tls extra) yields records
-> pipeline feeds each session to an observer (the protocol core in observer mode; observer_partial and
partial read sessions captured in part) -> annotate + findings + crack -> render (plain, md, json; colour and
HTML live in tutor.display.trace_render). Every string from input goes out through the one escaping function
of its output format (tutor.escapes.for_terminal, for_html, for_markdown, for_json).
"""
