package client

// Version is this SDK's version. It is sent in the User-Agent header of every request.
const Version = "0.1.0"
