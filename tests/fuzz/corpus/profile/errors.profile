default allow
read errno:EACCES
read kill
bogus_call
write errno:99999
