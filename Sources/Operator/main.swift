print("sked")
