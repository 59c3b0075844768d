#pragma once
// Public header of the http module: the server, the plain request / response types
// its route handlers use, and the studio page's files.
#include "http/api_routes.h"
#include "http/byte_range.h"
#include "http/http_types.h"
#include "http/multipart_parser.h"
#include "http/server.h"
#include "http/server_limits.h"
#include "http/static_files.h"
