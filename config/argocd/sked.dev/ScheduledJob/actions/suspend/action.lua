-- Argo CD action "suspend": no new scheduled runs; active runs continue.
-- If the manifest in Git sets spec.suspend, the next sync puts that value back.
if obj.spec == nil then
  obj.spec = {}
end
obj.spec.suspend = true
return obj
