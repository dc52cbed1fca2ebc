/** The {@code mainclient} command: calls the provisioning service by name, one call a run. */
package io.objectbroker.provisioning.client;
