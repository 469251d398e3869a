/* Moved: the http check is a folder now. */
#include "checks/http/http.h"
#include "checks/http/posix_regex.h"
