"""`longwit bench crash`: kill Longwit with SIGKILL at many points of real work (storing documents,
answering, saving a model state, downloading a model, migrating the database, a voice call), reopen
its folder, and check that nothing committed was lost and nothing half-written is used; then let
the app go on. `workloads` says what is killed, `checks` what must hold after, `runner` how.
"""
