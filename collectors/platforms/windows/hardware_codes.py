"""Device Manager problem codes (Win32_PnPEntity.ConfigManagerErrorCode, CM_PROB_* in cfg.h).

Names and numbers: https://learn.microsoft.com/windows-hardware/drivers/install/device-manager-error-messages
(codes 1-57); the wording of 0-31 follows the Win32_PnPEntity class page
(https://learn.microsoft.com/windows/win32/cimwin32prov/win32-pnpentity). Each code is put
in one of the two checklist items: ``driver`` (item 8, 驱动程序安装是否正确: the driver is
missing, broken or blocked) or ``device`` (item 9, 是否存在系统硬件冲突: conflicts,
failures and disabled hardware), with a default state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Category = Literal["driver", "device"]

# code: (CM_PROB name, meaning, category, default state)
CODES: Mapping[int, tuple[str, str, Category, str]] = {
    0: ("CM_PROB_NONE", "working properly", "device", "ok"),
    1: ("CM_PROB_NOT_CONFIGURED", "not configured correctly", "driver", "crit"),
    2: ("CM_PROB_DEVLOADER_FAILED", "Windows cannot load the driver for this device", "driver", "crit"),
    3: ("CM_PROB_OUT_OF_MEMORY", "driver may be corrupted, or the system is low on memory", "device", "crit"),
    4: ("CM_PROB_ENTRY_IS_WRONG_TYPE", "not working properly: a driver or registry entry is bad", "driver", "crit"),
    5: ("CM_PROB_LACKED_ARBITRATOR", "the driver needs a resource Windows cannot manage", "device", "crit"),
    6: ("CM_PROB_BOOT_CONFIG_CONFLICT", "boot configuration conflicts with other devices", "device", "crit"),
    7: ("CM_PROB_FAILED_FILTER", "cannot filter", "driver", "crit"),
    8: ("CM_PROB_DEVLOADER_NOT_FOUND", "the driver loader for the device is missing", "driver", "crit"),
    9: ("CM_PROB_INVALID_DATA", "firmware reports the device's resources incorrectly", "device", "crit"),
    10: ("CM_PROB_FAILED_START", "this device cannot start", "device", "crit"),
    11: ("CM_PROB_LIAR", "this device failed", "device", "crit"),
    12: ("CM_PROB_NORMAL_CONFLICT", "cannot find enough free resources (resource conflict)", "device", "crit"),
    13: ("CM_PROB_NOT_VERIFIED", "Windows cannot verify the device's resources", "device", "crit"),
    14: ("CM_PROB_NEED_RESTART", "cannot work properly until the computer is restarted", "device", "warn"),
    15: ("CM_PROB_REENUMERATION", "not working properly: re-enumeration problem", "device", "crit"),
    16: ("CM_PROB_PARTIAL_LOG_CONF", "Windows cannot identify all the resources this device uses", "device", "crit"),
    17: ("CM_PROB_UNKNOWN_RESOURCE", "the device asks for an unknown resource type", "device", "crit"),
    18: ("CM_PROB_REINSTALL", "reinstall the drivers for this device", "driver", "crit"),
    19: ("CM_PROB_REGISTRY", "configuration information in the registry is incomplete or damaged", "driver", "crit"),
    20: ("CM_PROB_VXDLDR", "failure using the VxD loader", "driver", "crit"),
    21: ("CM_PROB_WILL_BE_REMOVED", "Windows is removing this device", "device", "warn"),
    22: ("CM_PROB_DISABLED", "this device is disabled", "device", "warn"),
    23: ("CM_PROB_DEVLOADER_NOT_READY", "the driver loader is not ready", "driver", "crit"),
    24: ("CM_PROB_DEVICE_NOT_THERE", "device not present, not working properly, or drivers not all installed", "device", "warn"),
    25: ("CM_PROB_MOVED", "Windows is still setting up this device", "device", "warn"),
    26: ("CM_PROB_TOO_EARLY", "Windows is still setting up this device", "device", "warn"),
    27: ("CM_PROB_NO_VALID_LOG_CONF", "Windows cannot specify the resources for this device", "device", "crit"),
    28: ("CM_PROB_FAILED_INSTALL", "the drivers for this device are not installed", "driver", "crit"),
    29: ("CM_PROB_HARDWARE_DISABLED", "disabled because the firmware gave it no resources", "device", "crit"),
    30: ("CM_PROB_CANT_SHARE_IRQ", "uses an IRQ another device uses (IRQ conflict)", "device", "crit"),
    31: ("CM_PROB_FAILED_ADD", "not working properly: Windows cannot load the drivers required", "driver", "crit"),
    32: ("CM_PROB_DISABLED_SERVICE", "the driver (service) for this device has been disabled", "driver", "crit"),
    33: ("CM_PROB_TRANSLATION_FAILED", "Windows cannot determine which resources the device needs", "device", "crit"),
    34: ("CM_PROB_NO_SOFTCONFIG", "the device needs manual configuration of its resources", "device", "crit"),
    35: ("CM_PROB_BIOS_TABLE", "the firmware lacks information to configure the device: update the BIOS", "device", "crit"),
    36: ("CM_PROB_IRQ_TRANSLATION_FAILED", "PCI interrupt request failed (IRQ translation)", "device", "crit"),
    37: ("CM_PROB_FAILED_DRIVER_ENTRY", "Windows cannot initialize the device driver", "driver", "crit"),
    38: ("CM_PROB_DRIVER_FAILED_PRIOR_UNLOAD", "a previous instance of the driver is still in memory", "driver", "crit"),
    39: ("CM_PROB_DRIVER_FAILED_LOAD", "the driver may be corrupted or missing", "driver", "crit"),
    40: ("CM_PROB_DRIVER_SERVICE_KEY_INVALID", "the driver's service key in the registry is missing or wrong", "driver", "crit"),
    41: ("CM_PROB_LEGACY_SERVICE_NO_DEVICES", "the driver loaded but cannot find the hardware", "driver", "crit"),
    42: ("CM_PROB_DUPLICATE_DEVICE", "a duplicate device is already running in the system", "device", "crit"),
    43: ("CM_PROB_FAILED_POST_START", "Windows stopped this device because it reported problems", "device", "crit"),
    44: ("CM_PROB_HALTED", "an application or service has shut down this device", "device", "crit"),
    45: ("CM_PROB_PHANTOM", "the device is not connected to the computer", "device", "ok"),
    46: ("CM_PROB_SYSTEM_SHUTDOWN", "Windows is shutting down: the device is not available", "device", "ok"),
    47: ("CM_PROB_HELD_FOR_EJECT", "prepared for safe removal but not removed", "device", "warn"),
    48: ("CM_PROB_DRIVER_BLOCKED", "the driver is blocked because of known problems", "driver", "crit"),
    49: ("CM_PROB_REGISTRY_TOO_LARGE", "the system hive is too large (registry size limit)", "device", "crit"),
    50: ("CM_PROB_SETPROPERTIES_FAILED", "Windows cannot apply all of the device's properties", "driver", "crit"),
    51: ("CM_PROB_WAITING_ON_DEPENDENCY", "the device is waiting on another device to start", "device", "warn"),
    52: ("CM_PROB_UNSIGNED_DRIVER", "Windows cannot verify the driver's digital signature", "driver", "crit"),
    53: ("CM_PROB_USED_BY_DEBUGGER", "reserved for use by the kernel debugger", "device", "warn"),
    54: ("CM_PROB_DEVICE_RESET", "the device failed and is being reset", "device", "crit"),
    55: ("CM_PROB_CONSOLE_LOCKED", "the device cannot be used while the console is locked", "device", "warn"),
    56: ("CM_PROB_NEED_CLASS_CONFIG", "Windows is still setting up the class configuration", "driver", "warn"),
    57: ("CM_PROB_GUEST_ASSIGNMENT_FAILED", "assigning the device to a virtual machine guest failed", "device", "crit"),
}


def describe(code: int) -> tuple[str, str, Category, str]:
    """The table row for ``code``; an unknown code is a device problem, CRIT."""
    return CODES.get(code, (f"CM_PROB_{code}", f"problem code {code}", "device", "crit"))
