"""The document seal: a QR code on every decision document carrying the window's Ed25519 signature over the
document's content hash and the window's certificate from the centre (docs/security.md, "Document seal").

codec: the binary formats (certificate, payload) and their signatures, pure; keys: the window's key pair,
request and certificate in its store; sealing: a decision document rendered with its seal; check: the
offline check of a printed document (`yichuang verify-seal`)."""
