println "init"
