-- Test helper: an action that changes nothing, so the runner's JSON of an unchanged
-- object can be compared with what each real action returns.
return obj
