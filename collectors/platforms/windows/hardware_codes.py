"""Device Manager problem codes (Win32_PnPEntity.ConfigManagerErrorCode, CM_PROB_* in cfg.h).

Names and numbers: https://learn.microsoft.com/windows-hardware/drivers/install/device-manager-error-messages
(codes 1-57); the wording of 0-31 follows the Win32_PnPEntity class page
(https://learn.microsoft.com/windows/win32/cimwin32prov/win32-pnpentity). Each code is put
in one of the two checklist items: ``driver`` (item 8, 驱动程序安装是否正确: the driver is
missing, broken or blocked) or ``device`` (item 9, 是否存在系统硬件冲突: conflicts,
failures and disabled hardware), and given a *meaning* group whose state is a setting
(``checks.hardware.problem_states``), so an engineer tunes "driver missing" once instead of
code by code. Defaults, as engineers grade them: a device the user disabled (22) is not a
fault; a missing driver (28) or a device Windows stopped (43, 10) is WARN; conflicts and
failed drivers or hardware are CRIT; a device that is not plugged in is OK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Category = Literal["driver", "device"]
Group = Literal["working", "disabled", "driver_missing", "stopped", "restart_needed", "setting_up", "not_present",
                "conflict", "driver_failed", "device_failed"]

# code: (CM_PROB name, meaning, category, meaning group)
CODES: Mapping[int, tuple[str, str, Category, Group]] = {
    0: ("CM_PROB_NONE", "working properly", "device", "working"),
    1: ("CM_PROB_NOT_CONFIGURED", "not configured correctly", "driver", "driver_missing"),
    2: ("CM_PROB_DEVLOADER_FAILED", "Windows cannot load the driver for this device", "driver", "driver_failed"),
    3: ("CM_PROB_OUT_OF_MEMORY", "driver may be corrupted, or the system is low on memory", "device", "driver_failed"),
    4: ("CM_PROB_ENTRY_IS_WRONG_TYPE", "not working properly: a driver or registry entry is bad", "driver", "driver_failed"),
    5: ("CM_PROB_LACKED_ARBITRATOR", "the driver needs a resource Windows cannot manage", "device", "device_failed"),
    6: ("CM_PROB_BOOT_CONFIG_CONFLICT", "boot configuration conflicts with other devices", "device", "conflict"),
    7: ("CM_PROB_FAILED_FILTER", "cannot filter", "driver", "driver_failed"),
    8: ("CM_PROB_DEVLOADER_NOT_FOUND", "the driver loader for the device is missing", "driver", "driver_failed"),
    9: ("CM_PROB_INVALID_DATA", "firmware reports the device's resources incorrectly", "device", "device_failed"),
    10: ("CM_PROB_FAILED_START", "this device cannot start", "device", "stopped"),
    11: ("CM_PROB_LIAR", "this device failed", "device", "device_failed"),
    12: ("CM_PROB_NORMAL_CONFLICT", "cannot find enough free resources (resource conflict)", "device", "conflict"),
    13: ("CM_PROB_NOT_VERIFIED", "Windows cannot verify the device's resources", "device", "device_failed"),
    14: ("CM_PROB_NEED_RESTART", "cannot work properly until the computer is restarted", "device", "restart_needed"),
    15: ("CM_PROB_REENUMERATION", "not working properly: re-enumeration problem", "device", "device_failed"),
    16: ("CM_PROB_PARTIAL_LOG_CONF", "Windows cannot identify all the resources this device uses", "device", "conflict"),
    17: ("CM_PROB_UNKNOWN_RESOURCE", "the device asks for an unknown resource type", "device", "device_failed"),
    18: ("CM_PROB_REINSTALL", "reinstall the drivers for this device", "driver", "driver_missing"),
    19: ("CM_PROB_REGISTRY", "configuration information in the registry is incomplete or damaged", "driver", "driver_failed"),
    20: ("CM_PROB_VXDLDR", "failure using the VxD loader", "driver", "driver_failed"),
    21: ("CM_PROB_WILL_BE_REMOVED", "Windows is removing this device", "device", "restart_needed"),
    22: ("CM_PROB_DISABLED", "this device is disabled", "device", "disabled"),
    23: ("CM_PROB_DEVLOADER_NOT_READY", "the driver loader is not ready", "driver", "driver_failed"),
    24: ("CM_PROB_DEVICE_NOT_THERE", "device not present, not working properly, or drivers not all installed", "device", "setting_up"),
    25: ("CM_PROB_MOVED", "Windows is still setting up this device", "device", "setting_up"),
    26: ("CM_PROB_TOO_EARLY", "Windows is still setting up this device", "device", "setting_up"),
    27: ("CM_PROB_NO_VALID_LOG_CONF", "Windows cannot specify the resources for this device", "device", "conflict"),
    28: ("CM_PROB_FAILED_INSTALL", "the drivers for this device are not installed", "driver", "driver_missing"),
    29: ("CM_PROB_HARDWARE_DISABLED", "disabled because the firmware gave it no resources", "device", "device_failed"),
    30: ("CM_PROB_CANT_SHARE_IRQ", "uses an IRQ another device uses (IRQ conflict)", "device", "conflict"),
    31: ("CM_PROB_FAILED_ADD", "not working properly: Windows cannot load the drivers required", "driver", "driver_failed"),
    32: ("CM_PROB_DISABLED_SERVICE", "the driver (service) for this device has been disabled", "driver", "driver_failed"),
    33: ("CM_PROB_TRANSLATION_FAILED", "Windows cannot determine which resources the device needs", "device", "conflict"),
    34: ("CM_PROB_NO_SOFTCONFIG", "the device needs manual configuration of its resources", "device", "conflict"),
    35: ("CM_PROB_BIOS_TABLE", "the firmware lacks information to configure the device: update the BIOS", "device", "device_failed"),
    36: ("CM_PROB_IRQ_TRANSLATION_FAILED", "PCI interrupt request failed (IRQ translation)", "device", "conflict"),
    37: ("CM_PROB_FAILED_DRIVER_ENTRY", "Windows cannot initialize the device driver", "driver", "driver_failed"),
    38: ("CM_PROB_DRIVER_FAILED_PRIOR_UNLOAD", "a previous instance of the driver is still in memory", "driver", "driver_failed"),
    39: ("CM_PROB_DRIVER_FAILED_LOAD", "the driver may be corrupted or missing", "driver", "driver_failed"),
    40: ("CM_PROB_DRIVER_SERVICE_KEY_INVALID", "the driver's service key in the registry is missing or wrong", "driver", "driver_failed"),
    41: ("CM_PROB_LEGACY_SERVICE_NO_DEVICES", "the driver loaded but cannot find the hardware", "driver", "driver_failed"),
    42: ("CM_PROB_DUPLICATE_DEVICE", "a duplicate device is already running in the system", "device", "conflict"),
    43: ("CM_PROB_FAILED_POST_START", "Windows stopped this device because it reported problems", "device", "stopped"),
    44: ("CM_PROB_HALTED", "an application or service has shut down this device", "device", "device_failed"),
    45: ("CM_PROB_PHANTOM", "the device is not connected to the computer", "device", "not_present"),
    46: ("CM_PROB_SYSTEM_SHUTDOWN", "Windows is shutting down: the device is not available", "device", "not_present"),
    47: ("CM_PROB_HELD_FOR_EJECT", "prepared for safe removal but not removed", "device", "restart_needed"),
    48: ("CM_PROB_DRIVER_BLOCKED", "the driver is blocked because of known problems", "driver", "driver_failed"),
    49: ("CM_PROB_REGISTRY_TOO_LARGE", "the system hive is too large (registry size limit)", "device", "device_failed"),
    50: ("CM_PROB_SETPROPERTIES_FAILED", "Windows cannot apply all of the device's properties", "driver", "driver_failed"),
    51: ("CM_PROB_WAITING_ON_DEPENDENCY", "the device is waiting on another device to start", "device", "setting_up"),
    52: ("CM_PROB_UNSIGNED_DRIVER", "Windows cannot verify the driver's digital signature", "driver", "driver_failed"),
    53: ("CM_PROB_USED_BY_DEBUGGER", "reserved for use by the kernel debugger", "device", "not_present"),
    54: ("CM_PROB_DEVICE_RESET", "the device failed and is being reset", "device", "device_failed"),
    55: ("CM_PROB_CONSOLE_LOCKED", "the device cannot be used while the console is locked", "device", "not_present"),
    56: ("CM_PROB_NEED_CLASS_CONFIG", "Windows is still setting up the class configuration", "driver", "setting_up"),
    57: ("CM_PROB_GUEST_ASSIGNMENT_FAILED", "assigning the device to a virtual machine guest failed", "device", "device_failed"),
}


def describe(code: int) -> tuple[str, str, Category, Group]:
    """The table row for ``code``; an unknown code is a failed device."""
    return CODES.get(code, (f"CM_PROB_{code}", f"problem code {code}", "device", "device_failed"))
