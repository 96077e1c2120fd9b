-- Argo CD action "resume": scheduled runs start again.
-- If the manifest in Git sets spec.suspend, the next sync puts that value back.
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.suspend = false
return obj
