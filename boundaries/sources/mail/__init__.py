"""Mail sources (sources.md §9): messages in files, a Maildir or an mbox, read as far as their
headers into `core.mail.MailMessage`.

`read` parses one header block (bounded; a 50 MB message costs only its headers), `maildir`
lists a Maildir's `new/` and `cur/` without ever changing it, `mbox` streams an mbox file for
`replay --mbox`. Deciding a message and writing its reply are the service's and the other
modules' business.
"""
