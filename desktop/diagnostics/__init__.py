"""What the app keeps for finding out what went wrong: the log file under LONGWIT_HOME/logs, and how
an error becomes a line for a person and a record in that log. Used by the command line and the
window alike, so nothing here imports Qt."""
