/**
 * The HTTP/JSON gateway: {@link io.objectbroker.gateway.Gateway} serves the name server's
 * registry and calls of exposed objects over HTTP with JSON bodies, and {@link
 * io.objectbroker.gateway.GatewayCommand} is the {@code gateway} command. Everything else here
 * (routing, the connection handler, the status codes, exposure) is package-private.
 */
package io.objectbroker.gateway;
