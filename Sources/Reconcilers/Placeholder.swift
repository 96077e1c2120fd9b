import K8sClient
