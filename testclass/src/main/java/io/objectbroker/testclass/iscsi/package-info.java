/**
 * A user-space iSCSI initiator for end-to-end checks of the provisioning service's exports:
 * {@link io.objectbroker.testclass.iscsi.Initiator} reads, writes and compares a target's LUN
 * through qemu's iscsi driver, as any initiator would see it.
 */
package io.objectbroker.testclass.iscsi;
